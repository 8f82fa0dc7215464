"""The SMS channel: texts, segment counts, senders and webhook checks. Knows nothing of runs.

Modules (import from them directly; this package imports nothing, so the Twilio SDK, jinja2
and uvicorn load only where used):

============================  ================================================================
``notify.settings``           ``SmsSettings.from_env``, ``SettingsError``,
                              ``make_sender``
``notify.senders``            ``OutgoingSms``, ``SendResult``, ``Sender``, the ``SendError``
                              family, ``check_outgoing``
``notify.retry``              every retry number; ``classify_delivery_error``,
                              ``delivery_retry_policy``
``notify.texts``              notice records and ``render`` (zh/en templates)
``notify.segments``           ``count_segments``, ``estimate_cost_fen``, ``estimate_batch``
``notify.privacy``            ``mask_name``, ``mask_account``, ``mask_phone``, ``scrub``
``notify.inbound``            ``parse_inbound`` (STOP/退订/TD, START, 查询/CX, 异议…, help)
``notify.status``             ``parse_status_callback``, ``advances`` (never move backwards)
``notify.twilio_sender``      ``TwilioSender``, ``validate_signature``, ``sign``,
                              ``twiml_reply`` (the only module importing ``twilio``)
``notify.console``            ``ConsoleSender``, ``FileSender`` (dry runs)
============================  ================================================================
"""

from __future__ import annotations
