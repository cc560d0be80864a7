"""A customer's web page on another origin loads the widget configuration and calls OFREP,
with no CORS configuration on the server: the public client routes answer every origin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page

from tests.e2e.server import ServerProcess, running_server

HOST_PAGE = """<!doctype html>
<html><body>
<pre id="widget">loading</pre><pre id="ofrep">loading</pre>
<script>
const server = new URLSearchParams(location.search).get("server");
const key = new URLSearchParams(location.search).get("key");
fetch(`${server}/api/widget/config?customerId=c-42&key=${key}`)
  .then((r) => r.json())
  .then((config) => { document.getElementById("widget").textContent = JSON.stringify(config); })
  .catch((error) => { document.getElementById("widget").textContent = "failed: " + error; });
// A bearer header and a JSON body make this a preflighted request.
fetch(`${server}/ofrep/v1/evaluate/flags/phase1_auto_restore`, {
  method: "POST",
  headers: {"Authorization": `Bearer ${key}`, "Content-Type": "application/json"},
  body: JSON.stringify({context: {targetingKey: "c-42"}}),
})
  .then((r) => r.json())
  .then((result) => { document.getElementById("ofrep").textContent = JSON.stringify(result); })
  .catch((error) => { document.getElementById("ofrep").textContent = "failed: " + error; });
</script>
</body></html>"""


class _HostPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = HOST_PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with running_server({}, setup=[["init"]]) as process:
        yield process


@pytest.fixture(scope="module")
def customer_site() -> Iterator[str]:
    """A customer's site: another origin (its own port) serving the host page."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _HostPage)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_page_on_another_origin__reads_the_widget_config_and_ofrep(
    page: Page, server: ServerProcess, customer_site: str
) -> None:
    # Given a client key and a customer's page on another origin
    key = server.issue("client-sdk")
    assert not server.base_url.startswith(customer_site)

    # When the page loads and calls flagpilot from the browser
    page.goto(f"{customer_site}/shop.html?server={server.base_url}&key={key}")
    page.wait_for_function(
        "['widget', 'ofrep'].every((id) => document.getElementById(id).textContent !== 'loading')",
        timeout=15_000,
    )

    # Then both answers reached the page: the widget's phases and OFREP's value
    widget = page.text_content("#widget") or ""
    ofrep = page.text_content("#ofrep") or ""
    assert '"sessionPersistence"' in widget, widget
    assert '"value":true' in ofrep.replace(" ", ""), ofrep
