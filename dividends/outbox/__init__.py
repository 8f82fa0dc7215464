"""The SMS outbox of payout runs: notices, the dispatcher, status callbacks, replies, reports.

Households learn what they were paid, and object, only through SMS. A notice reaches each
household once per (run, household, kind) (the database's unique constraint; a resend is a
new *attempt*, made by a person), says the right amount in the household's language, and its
fate is always recorded (:mod:`dividends.outbox.fates`).

Modules (import from them directly; this package imports nothing):

================================  ==============================================================
``dividends.outbox.fates``        the eight statuses of a notice and what they mean
``dividends.outbox.prepare``      ``prepare(run_id, kind, actor, clock)`` → ``PrepareReport``;
                                  ``estimate(run_id, kind)`` → ``NoticeEstimate`` (segments, cost,
                                  over-limit texts) before anything is sent
``dividends.outbox.dispatcher``   ``dispatch(sender, settings, clock, ...)`` → ``DispatchReport``:
                                  claims, pacing, retries, look-ups after unknown outcomes
``dividends.outbox.claims``       the dispatcher's claims and batched records (crash safety)
``dividends.outbox.callbacks``    ``apply_status(form, clock)``: status callbacks, never backwards
``dividends.outbox.inbound``      ``handle_inbound(form, clock)`` → TwiML: STOP/退订, START, 查询,
                                  异议, help
``dividends.outbox.report``       ``report(run_id)`` → ``DeliveryReport``; ``resend_failed``
``dividends.outbox.content``      text records of :mod:`notify.texts` filled from a run
``dividends.outbox.messages``     messages (zh/en) of the outbox, the webhooks and the CLI
================================  ==============================================================

Services take a :class:`dividends.clock.Clock` and a :class:`notify.senders.Sender`, so tests
inject a ``FixedClock`` and a ``FakeSender``; the web layer (``dividends.web.webhooks``) and the
CLI (``dividends notify``) only parse, call one service and render.
"""
