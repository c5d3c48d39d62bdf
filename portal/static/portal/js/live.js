/* Live updates over the portal's one WebSocket endpoint.
 *
 * Pages work without this script; it only keeps lists fresh. On every
 * (re)connect it subscribes again and the server answers each topic with a full
 * snapshot, so nothing is lost while the connection was down.
 */
(function () {
  "use strict";

  var handlers = new Map(); // topic -> array of {snapshot, event, error}
  var socket = null;
  var attempt = 0;
  var retryTimer = null;

  function endpoint() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live/";
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  }

  function setState(state) {
    document.documentElement.setAttribute("data-live", state);
  }

  function dispatch(message) {
    var list = handlers.get(message.topic);
    if (!list) return;
    list.forEach(function (handler) {
      if (message.type === "snapshot" && handler.snapshot) handler.snapshot(message.data);
      else if (message.type === "event" && handler.event) handler.event(message.event);
      else if (message.type === "error" && handler.error) handler.error(message.code);
    });
  }

  function connect() {
    if (socket && socket.readyState <= WebSocket.OPEN) return;
    setState("connecting");
    socket = new WebSocket(endpoint());
    socket.addEventListener("open", function () {
      attempt = 0;
      setState("connected");
      handlers.forEach(function (_list, topic) {
        send({ action: "subscribe", topic: topic });
      });
    });
    socket.addEventListener("message", function (e) {
      var message;
      try {
        message = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      dispatch(message);
    });
    socket.addEventListener("close", function () {
      setState("disconnected");
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (retryTimer) return;
    // Exponential backoff with jitter, so a restarted server is not stampeded.
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    attempt += 1;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    connect();
  }

  function subscribe(topic, handler) {
    if (!handlers.has(topic)) {
      handlers.set(topic, []);
      send({ action: "subscribe", topic: topic });
    }
    handlers.get(topic).push(handler);
    connect();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });

  /* Renderers: an element with data-live-topic and data-live-render keeps itself fresh. */

  function announce(el, text) {
    var region = document.getElementById(el.getAttribute("data-live-announce") || "");
    if (region) region.textContent = text;
  }

  function noticeItem(notice) {
    var li = document.createElement("li");
    li.className = "notice-item notice-" + notice.category;
    li.setAttribute("data-id", String(notice.id));
    var badge = document.createElement("span");
    badge.className = "badge badge-" + notice.category;
    badge.textContent = notice.category_label;
    var link = document.createElement("a");
    link.href = notice.url;
    link.textContent = notice.title;
    var time = document.createElement("time");
    time.dateTime = notice.published_at || "";
    time.textContent = notice.published_label;
    li.appendChild(badge);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(time);
    return li;
  }

  var renderers = {
    "notice-list": function (el) {
      var limit = parseInt(el.getAttribute("data-limit") || "10", 10);
      var empty = document.getElementById(el.getAttribute("data-empty") || "");
      function refreshEmpty() {
        if (empty) empty.hidden = el.children.length > 0;
      }
      return {
        snapshot: function (data) {
          el.replaceChildren.apply(el, data.notices.map(noticeItem));
          refreshEmpty();
        },
        event: function (event) {
          var id = String(event.kind === "removed" ? event.id : event.notice.id);
          var existing = el.querySelector('[data-id="' + id + '"]');
          if (existing) existing.remove();
          if (event.kind === "published") {
            var item = noticeItem(event.notice);
            item.classList.add("is-new");
            el.insertBefore(item, el.firstChild);
            while (el.children.length > limit) el.lastChild.remove();
            announce(el, event.notice.category_label + ": " + event.notice.title);
          }
          refreshEmpty();
        },
      };
    },
    "urgent-banner": function (el) {
      var list = el.querySelector("ul");
      function item(notice) {
        var li = document.createElement("li");
        li.setAttribute("data-id", String(notice.id));
        var strong = document.createElement("strong");
        strong.textContent = notice.category_label;
        var link = document.createElement("a");
        link.href = notice.url;
        link.textContent = notice.title;
        li.appendChild(strong);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(link);
        return li;
      }
      function refresh() {
        el.hidden = list.children.length === 0;
      }
      return {
        snapshot: function (data) {
          list.replaceChildren.apply(
            list,
            data.notices.filter(function (n) { return n.category === "urgent"; }).map(item)
          );
          refresh();
        },
        event: function (event) {
          var id = String(event.kind === "removed" ? event.id : event.notice.id);
          var existing = list.querySelector('[data-id="' + id + '"]');
          if (existing) existing.remove();
          if (event.kind === "published" && event.notice.category === "urgent") {
            list.insertBefore(item(event.notice), list.firstChild);
            el.setAttribute("role", "alert");
          }
          refresh();
        },
      };
    },
    "account-status": function (el) {
      function show(data) {
        if (!data.status) return;
        el.setAttribute("data-status", data.status);
        var label = el.querySelector("[data-status-label]");
        if (label) label.textContent = data.status_label;
        var reason = el.querySelector("[data-rejection-reason]");
        if (reason) reason.textContent = data.rejection_reason || "";
      }
      return { snapshot: show, event: show };
    },
    "pending-count": function (el) {
      function show(data) {
        el.textContent = String(data.pending);
      }
      return { snapshot: show, event: show };
    },
  };

  function bindAll() {
    document.querySelectorAll("[data-live-topic][data-live-render]").forEach(function (el) {
      var make = renderers[el.getAttribute("data-live-render")];
      if (make) subscribe(el.getAttribute("data-live-topic"), make(el));
    });
  }

  window.PortalLive = { subscribe: subscribe, renderers: renderers };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bindAll);
  } else {
    bindAll();
  }
})();
