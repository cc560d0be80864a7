/*
 * flagpilot chat widget — the iframe half (flagpilot-widget-frame.html).
 *
 * It fetches the visitor's configuration from flagpilot (GET /api/widget/config, revalidated
 * with If-None-Match), then turns on exactly the behaviours whose flags are on:
 *
 *   phase1.crossDomainMessaging  talk to the host page over postMessage (exact origins only)
 *   phase1.parentStorage         keep chat_conversation_id in the host page's localStorage
 *   phase1.autoRestore           reopen the stored conversation after a reload
 *   phase2.enhancedStorage       keep a deflate-compressed copy of the transcript beside the id
 *   phase2.connectionMonitoring  show an online/offline indicator and tell the host page
 *   phase2.retryLogic            resend a failed message with exponential backoff
 *   phase3.tabSync               share the conversation with other tabs (BroadcastChannel)
 *   phase3.performanceMode       render only the latest messages, no animations, idle-time work
 *   phase3.analytics             count widget events and send them to the chat service
 *
 * If the configuration cannot be fetched, the built-in defaults apply (Phase 1 on, the rest
 * off) and the console says so. What each flag did — success or error — is reported to
 * POST /api/events with the client key, which is what a rollout's automatic rollback watches.
 *
 * Settings arrive in the URL fragment from flagpilot-widget.js: parent (the host page's
 * origin), key, customerId, organizationId, environment, api, chat.
 */
(function () {
  "use strict";

  var CHANNEL = "flagpilot-widget";
  var ID_KEY = "chat_conversation_id";
  var TRANSCRIPT_KEY = "chat_conversation_transcript";
  var BRIDGE_TIMEOUT_MS = 1500;
  var CONFIG_TIMEOUT_MS = 3000;
  var RETRY_DELAYS_MS = [250, 500, 1000];
  var PERFORMANCE_WINDOW = 30;

  // The flag behind each field of the configuration document (flagpilot.presets.WIDGET_FIELDS).
  var FLAG_KEYS = {
    phase1: {
      parentStorage: "phase1_parent_storage",
      crossDomainMessaging: "phase1_cross_domain_messaging",
      autoRestore: "phase1_auto_restore",
    },
    phase2: {
      enhancedStorage: "phase2_enhanced_storage",
      connectionMonitoring: "phase2_connection_monitoring",
      retryLogic: "phase2_retry_logic",
    },
    phase3: {
      tabSync: "phase3_tab_sync",
      performanceMode: "phase3_performance_mode",
      analytics: "phase3_analytics",
    },
  };
  var FLAG_OF = {};
  Object.keys(FLAG_KEYS).forEach(function (phase) {
    Object.keys(FLAG_KEYS[phase]).forEach(function (field) { FLAG_OF[field] = FLAG_KEYS[phase][field]; });
  });

  var settings = readSettings();
  var chat = document.getElementById("chat");
  var notice = document.getElementById("notice");
  var list = document.getElementById("transcript");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");

  // Everything the widget decided, for the console and for tests: window.flagpilotChat.
  var state = {
    configSource: "loading",
    features: {},
    conversationId: null,
    messages: [],
    restored: false,
    online: navigator.onLine,
    showAll: false,
    analytics: { opened: 0, messagesSent: 0, restored: 0, failedSends: 0 },
    eventsSent: 0,
  };
  window.flagpilotChat = state;

  var bridge = null;
  var store = frameStore();
  var channel = null;
  var pendingOutcomes = {};
  var outcomeTimer = null;
  var analyticsTimer = null;
  var analyticsSent = { opened: 0, messagesSent: 0, restored: 0, failedSends: 0 };

  start().catch(function (error) {
    console.error("flagpilot-widget: the chat could not start", error);
    say("The chat is unavailable right now.");
  });

  async function start() {
    var config = await loadConfig();
    state.configSource = config.source;
    state.features = flatten(config.document);
    chat.dataset.configSource = config.source;
    chat.dataset.features = Object.keys(state.features).filter(function (f) { return state.features[f]; }).join(" ");

    if (on("performanceMode")) document.documentElement.classList.add("performance-mode");
    if (on("crossDomainMessaging")) {
      bridge = await connectBridge();
      outcome("crossDomainMessaging", bridge ? "success" : "error");
    }
    if (on("parentStorage")) {
      if (bridge) store = parentStore();
      else console.warn("flagpilot-widget: parent storage needs the host page's messaging; using the widget's own storage");
    }
    if (on("connectionMonitoring")) startConnectionMonitor();
    if (on("tabSync")) startTabSync();

    // Both reads go to the host page at once: each is a message round trip.
    var copy = on("enhancedStorage") && on("autoRestore") ? loadTranscript() : Promise.resolve(null);
    var id = await storedId();
    if (!on("enhancedStorage")) await store.set(TRANSCRIPT_KEY, null); // nothing compressed stays behind
    if (id && on("autoRestore")) {
      state.restored = await restore(id, await copy);
    } else if (id) {
      await store.set(ID_KEY, null); // without auto-restore a reload starts a new conversation
    }
    if (!settings.chat) say("No conversation service is configured (data-chat-url).");

    render();
    form.addEventListener("submit", onSubmit);
    input.disabled = false;
    form.querySelector("button").disabled = false;
    chat.dataset.state = "ready";
    chat.dataset.restored = String(state.restored);
    if (bridge) {
      bridge.post({
        type: "ready",
        summary: {
          configSource: state.configSource,
          features: state.features,
          restored: state.restored,
          messages: state.messages.length,
        },
      });
    }
  }

  // ---- configuration -------------------------------------------------------------------

  async function loadConfig() {
    var defaults = { source: "defaults", document: null };
    if (!settings.key) {
      console.info("flagpilot-widget: no data-key; using the built-in defaults (Phase 1 on)");
      return defaults;
    }
    var url = new URL("/api/widget/config", settings.api);
    ["customerId", "organizationId", "environment"].forEach(function (name) {
      if (settings[name]) url.searchParams.set(name, settings[name]);
    });
    var cacheKey = "flagpilot_widget_config:" + url.href;
    var cached = readJson(cacheKey);
    var headers = { Authorization: "Bearer " + settings.key };
    if (cached && cached.etag) headers["If-None-Match"] = cached.etag;
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, CONFIG_TIMEOUT_MS);
    try {
      // no-store: our own copy and its ETag do the caching, so a 304 reaches this code.
      var response = await fetch(url.href, { headers: headers, cache: "no-store", credentials: "omit", signal: controller.signal });
      if (response.status === 304 && cached) return { source: "server", document: cached.document };
      if (!response.ok) throw new Error("HTTP " + response.status);
      var document_ = await response.json();
      writeJson(cacheKey, { etag: response.headers.get("ETag"), document: document_ });
      return { source: "server", document: document_ };
    } catch (error) {
      console.warn("flagpilot-widget: could not fetch the configuration from " + url.origin +
        " (" + (error && error.message) + "); using the built-in defaults (Phase 1 on)");
      return defaults;
    } finally {
      clearTimeout(timer);
    }
  }

  // The document's value for each field; anything missing or not a boolean keeps its default.
  function flatten(document_) {
    var phases = (document_ && document_.sessionPersistence) || {};
    var features = {};
    Object.keys(FLAG_KEYS).forEach(function (phase) {
      Object.keys(FLAG_KEYS[phase]).forEach(function (field) {
        var value = phases[phase] && phases[phase][field];
        features[field] = typeof value === "boolean" ? value : phase === "phase1";
      });
    });
    return features;
  }

  function on(feature) {
    return state.features[feature] === true;
  }

  // ---- the host page bridge (phase1.crossDomainMessaging) ------------------------------

  function connectBridge() {
    var parentOrigin = settings.parent;
    var ancestors = location.ancestorOrigins;
    if (window.parent === window || !/^https?:\/\/[^/]+$/.test(parentOrigin) ||
        (ancestors && ancestors.length && ancestors[0] !== parentOrigin)) {
      console.warn("flagpilot-widget: not embedded by " + parentOrigin + "; no messaging");
      return Promise.resolve(null);
    }
    var pending = {};
    var sequence = 0;
    var hello = null;
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent || event.origin !== parentOrigin) return;
      var message = event.data;
      if (!message || typeof message !== "object" || message.channel !== CHANNEL) return;
      if (message.type === "hello" && hello) hello(message);
      else if (message.type === "opened") onOpened();
      else if (message.id && pending[message.id]) {
        pending[message.id](message);
        delete pending[message.id];
      }
    });
    var api = {
      post: function (message) {
        message.channel = CHANNEL;
        window.parent.postMessage(message, parentOrigin);
      },
      request: function (message) {
        return new Promise(function (resolve, reject) {
          var id = "m" + (++sequence);
          var timer = setTimeout(function () {
            delete pending[id];
            reject(new Error("the host page did not answer " + message.type));
          }, BRIDGE_TIMEOUT_MS);
          pending[id] = function (answer) { clearTimeout(timer); resolve(answer); };
          message.id = id;
          api.post(message);
        });
      },
    };
    return new Promise(function (resolve) {
      var timer = setTimeout(function () {
        console.warn("flagpilot-widget: the host page did not answer; no messaging");
        resolve(null);
      }, BRIDGE_TIMEOUT_MS);
      hello = function (message) {
        hello = null;
        clearTimeout(timer);
        if (message.open) onOpened();
        resolve(api);
      };
      api.post({ type: "hello" });
    });
  }

  function parentStore() {
    return {
      get: function (key) {
        return bridge.request({ type: "storage-get", key: key }).then(function (answer) {
          outcome("parentStorage", "success");
          return typeof answer.value === "string" ? answer.value : null;
        }, function (error) {
          outcome("parentStorage", "error");
          throw error;
        });
      },
      set: function (key, value) {
        return bridge.request({ type: "storage-set", key: key, value: value }).catch(function (error) {
          outcome("parentStorage", "error");
          console.warn("flagpilot-widget: could not store " + key + " in the host page", error);
        });
      },
    };
  }

  function frameStore() {
    return {
      get: function (key) {
        try { return Promise.resolve(window.localStorage.getItem(key)); } catch (error) { return Promise.resolve(null); }
      },
      set: function (key, value) {
        try {
          if (value === null) window.localStorage.removeItem(key);
          else window.localStorage.setItem(key, value);
        } catch (error) { /* storage disabled: the conversation lasts as long as the page */ }
        return Promise.resolve();
      },
    };
  }

  async function storedId() {
    try {
      return await store.get(ID_KEY);
    } catch (error) {
      console.warn("flagpilot-widget: could not read the conversation id", error);
      return null;
    }
  }

  // ---- conversations (phase1.autoRestore, phase2.enhancedStorage) ----------------------

  // `copy`: the compressed transcript from enhanced storage, if there is one.
  async function restore(id, copy) {
    var fromCopy = false;
    if (copy && copy.id === id) {
      adopt(id, copy.messages);
      fromCopy = true;
    }
    var shown = state.messages.length;
    var fetching = chatRequest("GET", "/conversations/" + encodeURIComponent(id) + customerQuery()).then(function (conversation) {
      // A visitor who has typed since the copy was shown keeps what is on screen.
      if (state.messages.length === shown) {
        adopt(id, conversation.messages);
        render();
      }
      outcome("autoRestore", "success");
      count("restored");
      return true;
    }, function (error) {
      if (error.status === 404) {
        state.conversationId = null;
        state.messages = [];
        render();
        store.set(ID_KEY, null);
        store.set(TRANSCRIPT_KEY, null);
        return false;
      }
      outcome("autoRestore", "error");
      console.warn("flagpilot-widget: could not restore the conversation", error);
      return fromCopy;
    });
    // The compressed copy is already on screen; the service's answer refreshes it when it comes.
    return fromCopy ? true : fetching;
  }

  function adopt(id, messages) {
    state.conversationId = id;
    state.messages = Array.isArray(messages) ? messages.map(function (m) {
      return { id: m.id, author: m.author === "visitor" ? "visitor" : "agent", text: String(m.text), status: "sent" };
    }) : [];
  }

  async function saveTranscript() {
    if (!on("enhancedStorage") || !state.conversationId) return;
    try {
      var sent = state.messages.filter(function (m) { return m.status === "sent"; });
      var plain = JSON.stringify({ id: state.conversationId, messages: sent });
      var value = JSON.stringify({ v: 1, codec: "deflate-raw", size: plain.length, data: await deflate(plain) });
      await store.set(TRANSCRIPT_KEY, value);
      outcome("enhancedStorage", "success");
    } catch (error) {
      outcome("enhancedStorage", "error");
      console.warn("flagpilot-widget: could not store the compressed transcript", error);
    }
  }

  async function loadTranscript() {
    try {
      var raw = await store.get(TRANSCRIPT_KEY);
      if (!raw) return null;
      var packed = JSON.parse(raw);
      if (packed.v !== 1 || packed.codec !== "deflate-raw") return null;
      return JSON.parse(await inflate(packed.data));
    } catch (error) {
      outcome("enhancedStorage", "error");
      return null;
    }
  }

  async function deflate(text) {
    var stream = new Blob([text]).stream().pipeThrough(new CompressionStream("deflate-raw"));
    var bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    var binary = "";
    for (var i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }

  async function inflate(base64) {
    var bytes = Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Response(stream).text();
  }

  // ---- sending (phase2.retryLogic) -----------------------------------------------------

  function onSubmit(event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendMessage(text);
  }

  async function sendMessage(text) {
    var pending = { author: "visitor", text: text, status: "sending" };
    state.messages.push(pending);
    render();
    try {
      if (!state.conversationId) {
        var created = await withRetry(function () {
          return chatRequest("POST", "/conversations", { customerId: settings.customerId || null });
        });
        state.conversationId = created.id;
        await store.set(ID_KEY, created.id);
      }
      var answer = await withRetry(function () {
        return chatRequest("POST", "/conversations/" + encodeURIComponent(state.conversationId) + "/messages" + customerQuery(), { text: text });
      });
      var index = state.messages.indexOf(pending);
      var fresh = answer.messages.map(function (m) {
        return { id: m.id, author: m.author === "visitor" ? "visitor" : "agent", text: String(m.text), status: "sent" };
      });
      state.messages.splice.apply(state.messages, [index < 0 ? state.messages.length : index, index < 0 ? 0 : 1].concat(fresh));
      count("messagesSent");
    } catch (error) {
      pending.status = "failed";
      count("failedSends");
      console.warn("flagpilot-widget: the message was not sent", error);
    }
    render();
    await saveTranscript();
    broadcast();
  }

  async function withRetry(attempt) {
    var retries = on("retryLogic") ? RETRY_DELAYS_MS.length : 0;
    for (var tried = 0; ; tried++) {
      try {
        var result = await attempt();
        if (tried > 0) outcome("retryLogic", "success");
        return result;
      } catch (error) {
        var transient = !error.status || error.status >= 500 || error.status === 429;
        if (!transient || tried >= retries) {
          if (tried > 0) outcome("retryLogic", "error");
          throw error;
        }
        var delay = RETRY_DELAYS_MS[tried] * (0.8 + Math.random() * 0.4);
        await new Promise(function (resolve) { setTimeout(resolve, delay); });
      }
    }
  }

  async function chatRequest(method, path, body) {
    if (!settings.chat) throw new Error("no conversation service (data-chat-url)");
    var options = { method: method, credentials: "omit", headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(settings.chat.replace(/\/$/, "") + path, options);
    } catch (error) {
      setOnline(false);
      throw error;
    }
    setOnline(true);
    if (!response.ok) {
      var failure = new Error(method + " " + path + ": HTTP " + response.status);
      failure.status = response.status;
      throw failure;
    }
    return response.json();
  }

  function customerQuery() {
    return settings.customerId ? "?customerId=" + encodeURIComponent(settings.customerId) : "";
  }

  // ---- connection monitoring (phase2) --------------------------------------------------

  function startConnectionMonitor() {
    var badge = document.createElement("span");
    badge.className = "connection";
    badge.setAttribute("role", "status");
    chat.querySelector("header").appendChild(badge);
    window.addEventListener("online", function () { setOnline(true); });
    window.addEventListener("offline", function () { setOnline(false); });
    showConnection();
    outcome("connectionMonitoring", "success");
  }

  function setOnline(online) {
    if (state.online === online) return;
    state.online = online;
    if (on("connectionMonitoring")) {
      showConnection();
      if (bridge) bridge.post({ type: "connection", online: online });
    }
  }

  function showConnection() {
    var badge = chat.querySelector(".connection");
    badge.dataset.connection = state.online ? "online" : "offline";
    badge.textContent = state.online ? "Online" : "Offline";
  }

  // ---- tab sync (phase3) ---------------------------------------------------------------

  function startTabSync() {
    if (typeof BroadcastChannel !== "function") {
      outcome("tabSync", "error");
      return;
    }
    channel = new BroadcastChannel("flagpilot-chat:" + (settings.customerId || "anonymous"));
    channel.onmessage = function (event) {
      var data = event.data;
      if (!data || data.type !== "conversation" || typeof data.id !== "string") return;
      if (state.conversationId && state.conversationId !== data.id) return;
      var unsent = state.messages.filter(function (m) { return m.status !== "sent"; });
      adopt(data.id, data.messages);
      state.messages = state.messages.concat(unsent);
      render();
      outcome("tabSync", "success");
    };
  }

  function broadcast() {
    if (!channel || !state.conversationId) return;
    var sent = state.messages.filter(function (m) { return m.status === "sent"; });
    channel.postMessage({ type: "conversation", id: state.conversationId, messages: sent });
    outcome("tabSync", "success");
  }

  // ---- analytics (phase3) and outcome events -------------------------------------------

  function onOpened() {
    count("opened");
    if (!input.disabled) input.focus();
  }

  function count(name) {
    if (!on("analytics")) return;
    state.analytics[name] += 1;
    if (!analyticsTimer) analyticsTimer = later(flushAnalytics, 500);
  }

  function flushAnalytics(keepalive) {
    analyticsTimer = null;
    var delta = {};
    var any = false;
    Object.keys(state.analytics).forEach(function (name) {
      delta[name] = state.analytics[name] - analyticsSent[name];
      any = any || delta[name] > 0;
    });
    if (!any || !settings.chat) return;
    Object.keys(delta).forEach(function (name) { analyticsSent[name] += delta[name]; });
    fetch(settings.chat.replace(/\/$/, "") + "/analytics", {
      method: "POST",
      credentials: "omit",
      keepalive: keepalive === true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ customerId: settings.customerId || null, counts: delta }),
    }).then(function (response) {
      outcome("analytics", response.ok ? "success" : "error");
    }, function () {
      outcome("analytics", "error");
    });
  }

  // Success or error of one behaviour, for its flag's rollout; batched and sent within a second.
  function outcome(feature, result) {
    if (!settings.key || !settings.customerId) return; // anonymous visitors are in no rollout
    var key = FLAG_OF[feature] + " " + result;
    pendingOutcomes[key] = (pendingOutcomes[key] || 0) + 1;
    if (!outcomeTimer) outcomeTimer = later(flushOutcomes, 1000);
  }

  function flushOutcomes(keepalive) {
    outcomeTimer = null;
    var events = Object.keys(pendingOutcomes).map(function (key) {
      var parts = key.split(" ");
      return { featureName: parts[0], customerId: settings.customerId, outcome: parts[1], count: pendingOutcomes[key], timestamp: Date.now() };
    });
    pendingOutcomes = {};
    if (!events.length) return;
    var url = new URL("/api/events", settings.api);
    if (settings.environment) url.searchParams.set("environment", settings.environment);
    fetch(url.href, {
      method: "POST",
      credentials: "omit",
      keepalive: keepalive === true,
      headers: { Authorization: "Bearer " + settings.key, "Content-Type": "application/json" },
      body: JSON.stringify(events),
    }).then(function (response) {
      if (response.ok) state.eventsSent += events.length;
      else console.warn("flagpilot-widget: outcome events refused: HTTP " + response.status);
    }, function (error) {
      console.warn("flagpilot-widget: could not send outcome events", error);
    });
  }

  // Performance mode runs deferrable work when the browser is idle.
  function later(task, delay) {
    if (on("performanceMode") && typeof requestIdleCallback === "function") {
      return requestIdleCallback(function () { task(); }, { timeout: delay * 2 });
    }
    return setTimeout(task, delay);
  }

  window.addEventListener("pagehide", function () {
    if (outcomeTimer) flushOutcomes(true);
    if (analyticsTimer) flushAnalytics(true);
  });

  // ---- rendering (phase3.performanceMode) ----------------------------------------------

  function render() {
    list.textContent = "";
    var messages = state.messages;
    var hidden = on("performanceMode") && !state.showAll ? Math.max(0, messages.length - PERFORMANCE_WINDOW) : 0;
    if (hidden) {
      var earlier = document.createElement("button");
      earlier.type = "button";
      earlier.className = "earlier";
      earlier.textContent = "Show " + hidden + " earlier message" + (hidden === 1 ? "" : "s");
      earlier.addEventListener("click", function () { state.showAll = true; render(); });
      var row = document.createElement("li");
      row.className = "earlier-row";
      row.appendChild(earlier);
      list.appendChild(row);
    }
    if (!messages.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "Ask us anything — we usually answer right away.";
      list.appendChild(empty);
    }
    messages.slice(hidden).forEach(function (message) {
      var item = document.createElement("li");
      item.dataset.author = message.author;
      item.dataset.status = message.status;
      item.textContent = message.text;
      list.appendChild(item);
    });
    list.scrollTop = list.scrollHeight;
  }

  function say(text) {
    notice.textContent = text;
  }

  // ---- settings and small helpers ------------------------------------------------------

  function readSettings() {
    var params = new URLSearchParams(location.hash.slice(1));
    var api = params.get("api") || location.origin;
    return {
      parent: params.get("parent") || "",
      key: params.get("key") || "",
      customerId: params.get("customerId") || "",
      organizationId: params.get("organizationId") || "",
      environment: params.get("environment") || "",
      api: api,
      chat: params.get("chat") || "",
    };
  }

  function readJson(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (error) { return null; }
  }

  function writeJson(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* no cache then */ }
  }
})();
