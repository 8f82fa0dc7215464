"""The web app for village collectives and county auditors (starlette, server-rendered pages,
a JSON API). Start it with ``dividends serve``; build it with :func:`dividends.web.app.create_app`.
"""
