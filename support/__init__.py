"""Support for tests, benchmarks and the demo: fakes of outside services and sample data.

Product code (``schemes``, ``notify``, ``dividends``) never imports this package; only the tests,
the ``bench/`` scripts and the ``dividends demo`` command do (``tests/test_architecture.py``
checks it). It ships in the wheel because the demo runs from an installed package.

==========================  ==================================================================
``support.sample``          deterministic sample registries and the writers that turn them into
                            files as villages keep them (CSV in three encodings, XLSX)
``support.fake_sender``     ``FakeSender``: an in-memory SMS sender with scripted failures
``support.fake_twilio``     a fake Twilio API server (SIDs, failures, signed status callbacks)
``support.serve``           run any ASGI app on 127.0.0.1 in a background thread
``support.ledger_example``  a small example ledger for the ledger tests
==========================  ==================================================================
"""
