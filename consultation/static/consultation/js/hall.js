/* Live hall page: announces new posts, inserts replies, keeps counts fresh.
 *
 * The page works without this script. New top-level posts are announced rather
 * than pushed under the reader's eyes; posts are always fetched as HTML rendered
 * by the server's own template, so no markup is built here from what residents wrote.
 */
(function () {
  "use strict";

  var root = document.getElementById("hall");
  if (!root || !window.PortalLive) return;
  var topic = root.getAttribute("data-hall-topic");
  var fragmentsUrl = root.getAttribute("data-fragments-url");
  var list = root.querySelector("[data-post-list]");
  if (!topic || !fragmentsUrl || !list) return;

  var bar = root.querySelector("[data-new-posts]");
  var button = bar.querySelector("[data-show-new]");
  var announcer = root.querySelector("[data-hall-announce]");
  var firstPage = list.getAttribute("data-page") === "1";
  var pending = new Map(); // id -> created time (ms) of top-level posts not shown yet
  var fetching = new Set();

  function time(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? 0 : t;
  }

  // Posts written after the server rendered this page are "new"; older unknown
  // ones belong to other pages of the list.
  var renderedAt = parseInt(list.getAttribute("data-rendered") || "0", 10) * 1000;

  function known(id) {
    return document.getElementById("post-" + id);
  }

  function fetchPosts(ids) {
    var url = fragmentsUrl + "?ids=" + ids.join(",");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        // DOMParser never runs scripts; the HTML comes from the server's template.
        var doc = new DOMParser().parseFromString("<ol>" + html + "</ol>", "text/html");
        var ol = doc.querySelector("ol");
        return ol ? Array.from(ol.children) : [];
      });
  }

  function refreshBar() {
    var n = pending.size;
    bar.hidden = n === 0;
    if (!n) return;
    var text =
      n === 1
        ? bar.getAttribute("data-text-one")
        : bar.getAttribute("data-text-many").replace("__N__", String(n));
    button.textContent = text;
    if (announcer) announcer.textContent = text;
  }

  function showPending() {
    var ids = Array.from(pending.keys());
    if (!ids.length) return;
    fetchPosts(ids).then(function (items) {
      items
        .filter(function (li) { return !known(li.getAttribute("data-post")); })
        .reverse()
        .forEach(function (li) {
          li.classList.add("is-new");
          list.insertBefore(document.adoptNode(li), list.firstChild);
        });
      ids.forEach(function (id) { pending.delete(id); });
      var empty = root.querySelector("[data-empty-posts]");
      if (empty) empty.hidden = true;
      refreshBar();
    });
  }
  button.addEventListener("click", showPending);

  function insertReply(id, parentId) {
    var key = "r" + id;
    if (fetching.has(key)) return;
    fetching.add(key);
    fetchPosts([id])
      .then(function (items) {
        var box = root.querySelector('[data-replies="' + parentId + '"]');
        items.forEach(function (li) {
          if (box && !known(id)) {
            li.classList.add("is-new");
            box.appendChild(document.adoptNode(li));
          }
        });
      })
      .finally(function () { fetching.delete(key); });
  }

  function refreshPost(id) {
    var key = "p" + id;
    if (fetching.has(key)) return;
    fetching.add(key);
    fetchPosts([id])
      .then(function (items) {
        var current = known(id);
        if (!current || !items.length) return;
        var fresh = items[0].querySelector(".post-body-wrap");
        var old = current.querySelector(".post-body-wrap");
        if (fresh && old) old.replaceWith(document.adoptNode(fresh));
      })
      .finally(function () { fetching.delete(key); });
  }

  function setSeconds(id, seconds) {
    root.querySelectorAll('[data-seconds="' + id + '"]').forEach(function (el) {
      el.textContent = String(seconds);
    });
  }

  function setCounts(counts) {
    if (!counts) return;
    Object.keys(counts).forEach(function (stance) {
      var el = root.querySelector('[data-count="' + stance + '"]');
      if (el) el.textContent = String(counts[stance]);
    });
  }

  function apply(post) {
    var el = known(post.id);
    if (el) {
      setSeconds(post.id, post.seconds);
      var wrap = el.querySelector(".post-body-wrap");
      if (wrap && wrap.getAttribute("data-version") !== post.version) refreshPost(post.id);
      return;
    }
    if (post.parent) {
      if (known(post.parent)) insertReply(post.id, post.parent);
      return;
    }
    if (firstPage && time(post.created_at) >= renderedAt && !pending.has(post.id)) {
      pending.set(post.id, time(post.created_at));
    }
  }

  window.PortalLive.subscribe(topic, {
    snapshot: function (data) {
      setCounts(data.counts);
      data.posts.forEach(apply);
      refreshBar();
    },
    event: function (event) {
      if (event.counts) setCounts(event.counts);
      if (event.kind === "seconds") {
        setSeconds(event.id, event.seconds);
      } else if (event.post) {
        apply(event.post);
        refreshBar();
      }
    },
  });
})();
