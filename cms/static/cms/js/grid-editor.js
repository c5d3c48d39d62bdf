/* Grid outline editor for Wagtail admin.
 *
 * The outline lives in a hidden input as JSON: [[x, y], ...] with x and y relative to
 * the base image (0..1). The form posts normally; the server validates and saves.
 * Pointer events cover mouse, pen and touch alike. Every action also has a button or a
 * key, so the editor works without a pointing device.
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var HANDLE_RADIUS_PX = 9;   // on screen, whatever the image's size...
  var HANDLE_RADIUS_TOUCH_PX = 14;  // ...and larger under a finger
  var TAP_SLOP_PX = 6;        // a pointer that moved further was a drag or a scroll
  var KEY_STEP = 0.005;       // arrow keys move half a percent of the image...
  var KEY_STEP_BIG = 0.025;   // ...or two and a half with Shift
  var HISTORY_LIMIT = 200;
  var DECIMALS = 100000;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return name in values ? String(values[name]) : "";
    });
  }

  function clamp(value) {
    return Math.min(1, Math.max(0, value));
  }

  function round(value) {
    return Math.round(value * DECIMALS) / DECIMALS;
  }

  function copy(points) {
    return points.map(function (p) { return [p[0], p[1]]; });
  }

  function parsePoints(raw) {
    try {
      var value = JSON.parse(raw || "[]");
      if (!Array.isArray(value)) return [];
      // A refused save may bring back a point off the image: show it at the edge.
      return value.filter(function (p) {
        return Array.isArray(p) && p.length === 2 &&
          typeof p[0] === "number" && typeof p[1] === "number";
      }).map(function (p) { return [clamp(p[0]), clamp(p[1])]; });
    } catch (error) {
      return [];
    }
  }

  function isTextField(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function GridEditor(form, config) {
    this.form = form;
    this.config = config;
    this.text = config.text;
    this.width = config.width;
    this.height = config.height;
    this.svg = form.querySelector("[data-editor-svg]");
    this.canvas = this.svg.parentNode;
    this.polygon = this.svg.querySelector("[data-current] polygon");
    this.polyline = this.svg.querySelector("[data-current] polyline");
    this.handleGroup = this.svg.querySelector("[data-handles]");
    this.statusBox = form.querySelector("[data-editor-status]");
    this.gridNameBox = form.querySelector("[data-editor-grid-name]");
    this.pointsInput = form.querySelector("input[name=points]");
    this.gridInput = form.querySelector("input[name=grid]");
    this.labelInput = form.querySelector("input[name=label]");
    this.colourInput = form.querySelector("input[name=colour]");
    this.picker = document.querySelector("[data-grid-picker] select");
    this.removeForm = document.querySelector("[data-remove-form]");
    this.buttons = {};
    var self = this;
    form.querySelectorAll("[data-action]").forEach(function (button) {
      self.buttons[button.getAttribute("data-action")] = button;
    });
    this.handles = [];
    this.history = [];
    this.drag = null;
    this.tap = null;

    this.points = parsePoints(this.pointsInput.value);
    this.selected = this.points.length - 1;
    this.dirty = Boolean(config.dirty);
    this.gridId = config.grid;
    var grid = this.gridById(this.gridId);
    this.autoLabel = grid ? (grid.outline ? grid.outline.label : grid.name) : "";
    this.autoColour = this.colourInput.value;

    this.bind();
    this.showOthers();
    this.render();
    this.announce(this.summary());
    form.classList.add("is-ready");
    var noJs = document.querySelector("[data-grid-picker] [data-no-js]");
    if (noJs) noJs.style.display = "none";
    var errors = document.getElementById("outline-errors");
    if (errors) errors.focus();
  }

  GridEditor.prototype.gridById = function (id) {
    var found = null;
    this.config.grids.forEach(function (grid) {
      if (String(grid.id) === String(id)) found = grid;
    });
    return found;
  };

  /* ---- state changes ---- */

  GridEditor.prototype.remember = function () {
    this.history.push({ points: copy(this.points), selected: this.selected });
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
  };

  GridEditor.prototype.changed = function (message) {
    this.dirty = true;
    this.render();
    if (message) this.announce(message + " " + this.summary());
  };

  GridEditor.prototype.addPoint = function (point) {
    this.remember();
    var at = this.selected >= 0 ? this.selected + 1 : this.points.length;
    this.points.splice(at, 0, [round(clamp(point[0])), round(clamp(point[1]))]);
    this.selected = at;
    this.changed(this.text.added);
  };

  GridEditor.prototype.addPointByButton = function () {
    // Without a pointer: halfway to the next point, so the outline stays simple.
    var n = this.points.length;
    var point;
    if (n === 0) {
      point = [0.5, 0.5];
    } else if (n === 1) {
      point = [this.points[0][0] + 0.05, this.points[0][1]];
    } else {
      var from = this.selected >= 0 ? this.selected : n - 1;
      var a = this.points[from];
      var b = this.points[(from + 1) % n];
      point = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    }
    this.addPoint(point);
    this.focusHandle(this.selected);
  };

  GridEditor.prototype.deleteSelected = function () {
    if (this.selected < 0 || this.selected >= this.points.length) return;
    this.remember();
    this.points.splice(this.selected, 1);
    this.selected = Math.min(this.selected, this.points.length - 1);
    this.changed(this.text.deleted);
    if (this.selected >= 0) this.focusHandle(this.selected);
    else this.svg.focus();
  };

  GridEditor.prototype.undo = function () {
    var previous = this.history.pop();
    if (!previous) {
      this.announce(this.text.nothing_to_undo);
      return;
    }
    this.points = previous.points;
    this.selected = Math.min(previous.selected, this.points.length - 1);
    this.changed(this.text.undone);
  };

  GridEditor.prototype.clear = function () {
    if (!this.points.length) return;
    this.remember();
    this.points = [];
    this.selected = -1;
    this.changed(this.text.cleared);
  };

  GridEditor.prototype.moveSelected = function (dx, dy) {
    if (this.selected < 0) return;
    this.remember();
    var p = this.points[this.selected];
    this.points[this.selected] = [round(clamp(p[0] + dx)), round(clamp(p[1] + dy))];
    this.changed();
  };

  GridEditor.prototype.select = function (index) {
    this.selected = index;
    this.render();
    if (index >= 0) this.announce(format(this.text.selected, { n: index + 1 }));
  };

  GridEditor.prototype.switchGrid = function (id) {
    var grid = this.gridById(id);
    if (!grid) return;
    if (this.dirty && this.points.length && !window.confirm(this.text.discard)) {
      this.picker.value = String(this.gridId);
      return;
    }
    this.gridId = grid.id;
    this.gridInput.value = String(grid.id);
    var saved = grid.outline;
    this.points = saved ? copy(saved.points) : [];
    this.selected = this.points.length - 1;
    this.history = [];
    this.dirty = false;
    // Only replace what the user has not typed over.
    var label = saved ? saved.label : grid.name;
    if (!this.labelInput.value || this.labelInput.value === this.autoLabel) {
      this.labelInput.value = label;
    }
    this.autoLabel = label;
    var colour = saved ? saved.colour : grid.colour;
    if (this.colourInput.value === this.autoColour) this.colourInput.value = colour;
    this.autoColour = colour;
    if (this.gridNameBox) this.gridNameBox.textContent = grid.name;
    if (this.removeForm) {
      this.removeForm.hidden = !saved;
      this.removeForm.querySelector("[data-remove-grid]").value = String(grid.id);
    }
    if (window.history && window.history.replaceState) {
      var url = new URL(window.location.href);
      url.searchParams.set("grid", String(grid.id));
      window.history.replaceState(null, "", url.toString());
    }
    this.showOthers();
    this.render();
    this.announce(format(this.text.switched, { grid: grid.name }) + " " + this.summary());
  };

  /* ---- drawing ---- */

  GridEditor.prototype.showOthers = function () {
    var current = String(this.gridId);
    this.svg.querySelectorAll(".other-outline").forEach(function (group) {
      if (group.getAttribute("data-grid") === current) group.setAttribute("display", "none");
      else group.removeAttribute("display");
    });
  };

  GridEditor.prototype.toSvg = function (point) {
    return (point[0] * this.width).toFixed(1) + "," + (point[1] * this.height).toFixed(1);
  };

  GridEditor.prototype.pixelScale = function () {
    // Image pixels per screen pixel: handles keep one size as the map scales.
    var box = this.svg.getBoundingClientRect();
    if (!box.width || !box.height) return 1;
    return Math.max(this.width / box.width, this.height / box.height);
  };

  GridEditor.prototype.render = function () {
    var self = this;
    var n = this.points.length;
    var colour = this.colourInput.value || "#1b1b1b";
    var svgPoints = this.points.map(function (p) { return self.toSvg(p); }).join(" ");
    this.polygon.setAttribute("points", n >= 3 ? svgPoints : "");
    this.polyline.setAttribute("points", n >= 1 && n < 3 ? svgPoints : "");
    [this.polygon, this.polyline].forEach(function (shape) {
      shape.setAttribute("fill", colour);
      shape.setAttribute("stroke", colour);
    });

    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    var radius = (coarse ? HANDLE_RADIUS_TOUCH_PX : HANDLE_RADIUS_PX) * this.pixelScale();
    while (this.handles.length < n) this.handles.push(this.makeHandle(this.handles.length));
    while (this.handles.length > n) this.handleGroup.removeChild(this.handles.pop());
    this.handles.forEach(function (handle, index) {
      var p = self.points[index];
      handle.setAttribute("cx", (p[0] * self.width).toFixed(1));
      handle.setAttribute("cy", (p[1] * self.height).toFixed(1));
      handle.setAttribute("r", radius.toFixed(1));
      handle.setAttribute("aria-label", format(self.text.handle, { n: index + 1, count: n }));
      handle.setAttribute("aria-pressed", index === self.selected ? "true" : "false");
      handle.classList.toggle("is-selected", index === self.selected);
    });

    this.pointsInput.value = JSON.stringify(this.points);
    this.buttons.undo.disabled = !this.history.length;
    this.buttons.clear.disabled = !n;
    this.buttons["delete"].disabled = this.selected < 0;
  };

  GridEditor.prototype.makeHandle = function (index) {
    var handle = document.createElementNS(SVG_NS, "circle");
    handle.setAttribute("class", "handle");
    handle.setAttribute("tabindex", "0");
    handle.setAttribute("role", "button");
    handle.setAttribute("data-index", String(index));
    this.handleGroup.appendChild(handle);
    return handle;
  };

  GridEditor.prototype.focusHandle = function (index) {
    var handle = this.handles[index];
    if (handle) handle.focus({ preventScroll: true });
  };

  GridEditor.prototype.announce = function (message) {
    this.statusBox.textContent = message;
  };

  GridEditor.prototype.summary = function () {
    var parts = [format(this.text.points, { count: this.points.length })];
    if (this.points.length < 3) parts.push(this.text.too_few);
    else if (this.selected >= 0) parts.push(format(this.text.selected, { n: this.selected + 1 }));
    return parts.join(" ");
  };

  /* ---- input ---- */

  GridEditor.prototype.relativePoint = function (event) {
    var matrix = this.svg.getScreenCTM();
    if (!matrix) return null;
    var point = this.svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var local = point.matrixTransform(matrix.inverse());
    return [clamp(local.x / this.width), clamp(local.y / this.height)];
  };

  GridEditor.prototype.handleIndex = function (target) {
    if (!target || !target.classList || !target.classList.contains("handle")) return -1;
    return this.handles.indexOf(target);
  };

  GridEditor.prototype.bind = function () {
    var self = this;
    var svg = this.svg;

    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      var index = self.handleIndex(event.target);
      if (index >= 0) {
        // Grab a point: it follows the pointer until release.
        event.preventDefault();
        self.drag = {
          id: event.pointerId,
          index: index,
          x: event.clientX,
          y: event.clientY,
          before: { points: copy(self.points), selected: self.selected },
          moved: false,
        };
        event.target.setPointerCapture(event.pointerId);
        event.target.classList.add("is-dragging");
        self.select(index);
        self.focusHandle(index);
        return;
      }
      self.tap = { id: event.pointerId, x: event.clientX, y: event.clientY };
    });

    svg.addEventListener("pointermove", function (event) {
      var drag = self.drag;
      if (!drag || drag.id !== event.pointerId) return;
      if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 2) return;
      var point = self.relativePoint(event);
      if (!point) return;
      drag.moved = true;
      self.points[drag.index] = [round(point[0]), round(point[1])];
      self.render();
    });

    function endDrag(event) {
      var drag = self.drag;
      if (!drag || drag.id !== event.pointerId) return;
      self.drag = null;
      var handle = self.handles[drag.index];
      if (handle) handle.classList.remove("is-dragging");
      if (drag.moved) {
        self.history.push(drag.before);
        if (self.history.length > HISTORY_LIMIT) self.history.shift();
        self.changed(self.text.moved);
      }
    }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", function (event) {
      var drag = self.drag;
      if (drag && drag.id === event.pointerId) {
        // The browser took the gesture over: put the point back where it was.
        self.points = drag.before.points;
        self.drag = null;
        self.render();
      }
      self.tap = null;
    });

    svg.addEventListener("pointerup", function (event) {
      var tap = self.tap;
      self.tap = null;
      if (!tap || tap.id !== event.pointerId || event.button !== 0) return;
      if (Math.hypot(event.clientX - tap.x, event.clientY - tap.y) > TAP_SLOP_PX) return;
      if (self.handleIndex(event.target) >= 0) return;
      var point = self.relativePoint(event);
      if (point) self.addPoint(point);
    });

    // Focusing a point by keyboard selects it, so Delete and the arrows act on it.
    svg.addEventListener("focusin", function (event) {
      var index = self.handleIndex(event.target);
      if (index >= 0 && index !== self.selected) self.select(index);
    });

    this.canvas.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var step = event.shiftKey ? KEY_STEP_BIG : KEY_STEP;
      var moves = {
        ArrowLeft: [-step, 0],
        ArrowRight: [step, 0],
        ArrowUp: [0, -step],
        ArrowDown: [0, step],
      };
      if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        self.deleteSelected();
      } else if (moves[event.key] && self.selected >= 0) {
        event.preventDefault();
        self.moveSelected(moves[event.key][0], moves[event.key][1]);
      } else if (event.key === "Escape") {
        self.select(-1);
      }
    });

    document.addEventListener("keydown", function (event) {
      var undoKey = (event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey &&
        (event.key === "z" || event.key === "Z");
      // Text fields keep their own undo.
      if (undoKey && !isTextField(event.target)) {
        event.preventDefault();
        self.undo();
      }
    });

    this.buttons.add.addEventListener("click", function () { self.addPointByButton(); });
    this.buttons["delete"].addEventListener("click", function () { self.deleteSelected(); });
    this.buttons.undo.addEventListener("click", function () { self.undo(); });
    this.buttons.clear.addEventListener("click", function () { self.clear(); });

    this.colourInput.addEventListener("input", function () { self.render(); });

    if (this.picker) {
      this.picker.addEventListener("change", function () { self.switchGrid(self.picker.value); });
    }

    if (this.removeForm) {
      this.removeForm.addEventListener("submit", function (event) {
        var question = self.removeForm.getAttribute("data-confirm");
        if (question && !window.confirm(question)) event.preventDefault();
      });
    }

    this.form.addEventListener("submit", function () {
      self.pointsInput.value = JSON.stringify(self.points);
      self.dirty = false;
    });

    window.addEventListener("beforeunload", function (event) {
      if (self.dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    var rescale = function () { self.render(); };
    if (window.ResizeObserver) new ResizeObserver(rescale).observe(svg);
    else window.addEventListener("resize", rescale);
  };

  function start() {
    document.querySelectorAll("form[data-grid-editor]").forEach(function (form) {
      var source = document.getElementById(form.getAttribute("data-grid-editor"));
      if (!source) return;
      new GridEditor(form, JSON.parse(source.textContent));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
