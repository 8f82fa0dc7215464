"""The SMS outbox of payout runs: notices, the dispatcher, status callbacks, replies, reports.

Households learn what they were paid, and object, only through SMS. A notice reaches each
household once per (run, household, kind) (the database's unique constraint; a resend is a
new *attempt*, made by a person), says the right amount in the household's language, and its
fate is always recorded (:mod:`dividends.outbox.fates`).

Modules (import from them directly; this package imports nothing):

================================  ==============================================================
``dividends.outbox.fates``        the eight statuses of a notice and what they mean
``dividends.outbox.prepare``      ``prepare(run_id, kind, actor, clock, channel=...)`` writes the
                                  notices for the deployment's channel; ``estimate`` (segments,
                                  cost, sample texts per language and provider, households SMS
                                  will not reach); ``release`` queues them for the worker
``dividends.outbox.dispatcher``   ``dispatch(sender, settings, clock, ...)`` → ``DispatchReport``:
                                  claims, pacing, retries, daily limits, look-ups after unknown
                                  outcomes, correlation keys
``dividends.outbox.worker``       ``run_worker``: ``dividends notify worker`` (quiet hours,
                                  receipt polling, graceful stop)
``dividends.outbox.callbacks``    ``apply_status(form, clock)``: Twilio's status callbacks
``dividends.outbox.receipts``     ``apply_receipt(receipt, clock)``: Aliyun and Tencent receipts
``dividends.outbox.inbound``      replies: ``handle_inbound`` (Twilio, TwiML), ``answer_reply``
                                  (template providers: the answer is sent through the provider)
``dividends.outbox.report``       ``report(run_id)`` → ``DeliveryReport``; ``resend_failed``
``dividends.outbox.content``      text records of :mod:`notify.texts` filled from a run
``dividends.outbox.messages``     messages (zh/en) of the outbox, the webhooks and the CLI
================================  ==============================================================

The database is reached only through ``dividends.store.outbox`` (claims, records, receipts) and
``dividends.store.notices`` (everything else).

Services take a :class:`dividends.clock.Clock` and a :class:`notify.senders.Sender`, so tests
inject a ``FixedClock`` and a ``FakeSender``; the web layer (``dividends.web.webhooks``) and the
CLI (``dividends notify``) only parse, call one service and render.
"""
