/*
 * flagpilot chat widget — the host-page half.
 *
 *   <script src="https://flags.example.com/static/flagpilot-widget.js" async
 *           data-key="CLIENT_KEY" data-customer-id="c-42"
 *           data-chat-url="https://chat.example.com/chat"></script>
 *
 * This file runs in the host page. It draws a launcher button, embeds the chat itself in an
 * iframe served from the same place as this script (flagpilot-widget-frame.html), and answers
 * the iframe's requests for the host page's localStorage — which is how the conversation id
 * survives a reload even when the browser partitions the iframe's own storage.
 *
 * Everything the two halves say to each other goes through postMessage with an exact target
 * origin, and each side drops messages from any other origin or window. Only the storage keys
 * in STORAGE_KEYS can be read or written through the bridge.
 *
 * Nothing here may break the host page: every step is guarded, and a failure leaves at most
 * a widget that does not appear, with the reason in the console.
 *
 * Attributes: data-key (client-SDK key; without it the widget uses its built-in defaults),
 * data-customer-id, data-organization-id, data-environment, data-chat-url (the conversation
 * service), data-api (flagpilot's base URL, default: where this script comes from),
 * data-open ("true": start opened).
 *
 * window.FlagpilotWidget exposes what the widget did: its flags, where they came from, and how
 * long it took to become interactive (`ready` is a Promise of that summary).
 */
(function () {
  "use strict";

  var startedAt = performance.now();
  var CHANNEL = "flagpilot-widget";
  var STORAGE_KEYS = ["chat_conversation_id", "chat_conversation_transcript"];
  var MAX_VALUE_LENGTH = 512 * 1024;
  var OPEN_KEY = "flagpilot_widget_open";

  var script = document.currentScript;
  if (!script || !script.src) {
    console.error("flagpilot-widget: load me with a <script src=…> tag; nothing was embedded");
    return;
  }

  var resolveReady;
  var widget = {
    startedAt: startedAt,
    ready: new Promise(function (resolve) { resolveReady = resolve; }),
    summary: null,
    open: open,
    close: close,
  };
  window.FlagpilotWidget = widget;

  var frame = null;
  var panel = null;
  var launcher = null;
  var widgetOrigin = "";
  var heard = false; // whether the iframe has said anything (it stays silent without messaging)

  try {
    embed();
  } catch (error) {
    console.error("flagpilot-widget: could not embed the chat widget", error);
  }

  function embed() {
    var data = script.dataset;
    var assets = new URL(".", script.src);
    widgetOrigin = assets.origin;
    var frameUrl = new URL("flagpilot-widget-frame.html", assets);
    var settings = {
      parent: location.origin,
      key: data.key || "",
      customerId: data.customerId || "",
      organizationId: data.organizationId || "",
      environment: data.environment || "",
      api: data.api || assets.origin,
      chat: data.chatUrl ? new URL(data.chatUrl, location.href).href : "",
    };
    // The fragment never reaches a server log; the iframe reads its settings from it.
    frameUrl.hash = new URLSearchParams(settings).toString();

    window.addEventListener("message", onMessage);

    var root = document.createElement("div");
    root.id = "flagpilot-widget";
    root.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;" +
      "display:flex;flex-direction:column;align-items:flex-end;gap:12px;font:14px system-ui,sans-serif";

    panel = document.createElement("div");
    panel.style.cssText = "display:none;width:360px;max-width:calc(100vw - 40px);height:520px;" +
      "max-height:calc(100vh - 110px);border-radius:14px;overflow:hidden;" +
      "box-shadow:0 12px 40px rgba(15,23,42,.28);background:#fff";
    frame = document.createElement("iframe");
    frame.title = "Chat";
    frame.src = frameUrl.href;
    frame.style.cssText = "width:100%;height:100%;border:0;display:block";
    frame.addEventListener("load", function () {
      // Without the messaging flag the iframe says nothing; its load is the best signal left.
      setTimeout(function () { if (!heard) settle({ configSource: "unknown", silent: true }); }, 3000);
    });
    panel.appendChild(frame);

    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.setAttribute("aria-label", "Open chat");
    launcher.setAttribute("aria-expanded", "false");
    launcher.textContent = "💬";
    launcher.style.cssText = "width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;" +
      "background:#2563eb;color:#fff;font-size:26px;box-shadow:0 6px 20px rgba(37,99,235,.45)";
    launcher.addEventListener("click", function () {
      if (panel.style.display === "none") open(); else close();
    });

    root.appendChild(panel);
    root.appendChild(launcher);
    (document.body || document.documentElement).appendChild(root);
    if (data.open === "true" || readSession(OPEN_KEY) === "1") open();
  }

  function open() {
    if (!panel) return;
    panel.style.display = "block";
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close chat");
    launcher.textContent = "×";
    writeSession(OPEN_KEY, "1");
    if (heard) send({ type: "opened" }); // before its hello the iframe is not ours yet: it hears "open" then
  }

  function close() {
    if (!panel) return;
    panel.style.display = "none";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open chat");
    launcher.textContent = "💬";
    writeSession(OPEN_KEY, "0");
  }

  function send(message) {
    if (!frame || !frame.contentWindow) return;
    message.channel = CHANNEL;
    frame.contentWindow.postMessage(message, widgetOrigin);
  }

  function onMessage(event) {
    // Only our own iframe, from the origin it was loaded from, may talk to us.
    if (!frame || event.source !== frame.contentWindow || event.origin !== widgetOrigin) return;
    var message = event.data;
    if (!message || typeof message !== "object" || message.channel !== CHANNEL) return;
    heard = true;
    try {
      handle(message);
    } catch (error) {
      console.error("flagpilot-widget: bad message from the widget", error);
    }
  }

  function handle(message) {
    switch (message.type) {
      case "hello":
        send({ type: "hello", open: panel.style.display !== "none" });
        break;
      case "storage-get":
        send({ type: "storage-value", id: message.id, value: allowed(message.key) ? readLocal(message.key) : null });
        break;
      case "storage-set":
        if (allowed(message.key)) writeLocal(message.key, message.value);
        send({ type: "storage-done", id: message.id });
        break;
      case "ready":
        settle(message.summary || {});
        break;
      case "connection":
        window.dispatchEvent(new CustomEvent("flagpilot:connection", { detail: { online: !!message.online } }));
        break;
    }
  }

  function settle(summary) {
    if (widget.summary) return;
    summary.interactiveMs = performance.now() - startedAt;
    widget.summary = summary;
    resolveReady(summary);
  }

  function allowed(key) {
    return STORAGE_KEYS.indexOf(key) >= 0;
  }

  function readLocal(key) {
    try { return window.localStorage.getItem(key); } catch (error) { return null; }
  }

  function writeLocal(key, value) {
    try {
      if (value === null || value === undefined) window.localStorage.removeItem(key);
      else if (typeof value === "string" && value.length <= MAX_VALUE_LENGTH) window.localStorage.setItem(key, value);
    } catch (error) {
      console.warn("flagpilot-widget: the host page's localStorage refused " + key, error);
    }
  }

  function readSession(key) {
    try { return window.sessionStorage.getItem(key); } catch (error) { return null; }
  }

  function writeSession(key, value) {
    try { window.sessionStorage.setItem(key, value); } catch (error) { /* private mode: fine */ }
  }
})();
