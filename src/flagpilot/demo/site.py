"""The demo host site: a shop page embedding the widget, and the conversation service.

The page is served from this site's origin and loads `flagpilot-widget.js` from flagpilot's,
so the widget's iframe and the page are cross-origin, as on a real customer's site. A
customer switcher in the page header shows what each visitor gets; `?customer=ID` picks any
other customer id.

Two query parameters exist for trying failure cases by hand and in tests: `flags=off` embeds
the widget without a client key (built-in defaults, no configuration request) and `api=URL`
points the widget at another flagpilot (for example one that is down).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from flagpilot.demo.chat_api import chat_routes
from flagpilot.demo.store import ConversationStore

MAX_CUSTOMER_ID = 256
PAGE = Template(Path(__file__).with_name("host_page.html").read_text("utf-8"))


@dataclass(frozen=True)
class Visitor:
    """A customer the switcher offers, and what the demo set up for them."""

    customer_id: str
    label: str


@dataclass(frozen=True)
class SiteConfig:
    """Where the site is and which flagpilot it embeds the widget from."""

    site_origin: str
    flagpilot_url: str
    client_key: str
    visitors: Sequence[Visitor]


def _page(config: SiteConfig, request: Request) -> str:
    known = {visitor.customer_id: visitor for visitor in config.visitors}
    asked = request.query_params.get("customer", "")[:MAX_CUSTOMER_ID]
    chosen = known.get(asked) or (Visitor(asked, asked) if asked else config.visitors[0])
    visitors = [*config.visitors, *([] if chosen.customer_id in known else [chosen])]
    options = "".join(
        f'<option value="{html.escape(v.customer_id)}"{" selected" if v is chosen else ""}>'
        f"{html.escape(v.label)}</option>"
        for v in visitors
    )
    attributes = {
        "data-customer-id": chosen.customer_id,
        "data-chat-url": config.site_origin + "/chat",
    }
    if request.query_params.get("flags") != "off":
        attributes["data-key"] = config.client_key
    if api := request.query_params.get("api"):
        attributes["data-api"] = api
    return PAGE.substitute(
        options=options,
        site_origin=html.escape(config.site_origin),
        widget_origin=html.escape(config.flagpilot_url),
        customer_label=html.escape(chosen.customer_id),
        widget_src=html.escape(config.flagpilot_url + "/static/flagpilot-widget.js"),
        attributes="".join(f' {name}="{html.escape(value)}"' for name, value in attributes.items()),
    )


def create_site(config: SiteConfig, store: ConversationStore | None = None) -> Starlette:
    """The host site's ASGI app; the conversation service allows the widget's origin only."""
    conversations = store or ConversationStore()

    async def home(request: Request) -> Response:
        return HTMLResponse(_page(config, request), headers={"Cache-Control": "no-store"})

    app = Starlette(
        routes=[Route("/", home), *chat_routes(conversations)],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=[config.flagpilot_url],
                allow_methods=["GET", "POST"],
                allow_headers=["Content-Type"],
            )
        ],
    )
    app.state.conversations = conversations
    return app
