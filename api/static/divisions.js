// Cascading division pickers: county → township → village, starting at the user's jurisdiction.
// Markup: <div class="divpicker" data-root="421122" data-allow-root="yes"><input type="hidden" name="…"></div>
(function () {
  "use strict";
  var cache = {};

  function children(code) {
    if (!cache[code]) {
      var url = code ? "/api/v1/divisions/" + encodeURIComponent(code) + "/children" : "/api/v1/divisions?limit=500";
      cache[code] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? r.json() : { items: [] };
      }).then(function (body) { return body.items || []; }, function () { return []; });
    }
    return cache[code];
  }

  // The codes from the top down to ``code`` (province, city, county, township, village).
  function chain(code) {
    var out = [];
    function add(c) { if (c && out.indexOf(c) < 0) out.push(c); }
    if (code.length >= 6) { add(code.slice(0, 2) + "0000"); add(code.slice(0, 4) + "00"); add(code.slice(0, 6)); }
    if (code.length >= 9) add(code.slice(0, 9));
    if (code.length >= 12) add(code.slice(0, 12));
    return out;
  }

  function setup(box) {
    var hidden = box.querySelector("input[type=hidden]");
    var root = box.getAttribute("data-root") || "";
    var allowRoot = box.getAttribute("data-allow-root") !== "no";
    var rootPrefix = root.length === 6 ? root.replace(/0000$/, "").replace(/00$/, "") : root;
    var wanted = chain(hidden.value || "").filter(function (c) { return c !== root && c.indexOf(rootPrefix) === 0; });

    function addLevel(parent, depth) {
      return children(parent).then(function (items) {
        if (!items.length) return;
        var select = document.createElement("select");
        select.setAttribute("data-depth", String(depth));
        select.setAttribute("aria-label", depth === 0 ? "选择区划" : "选择下级区划");
        var blank = document.createElement("option");
        blank.value = parent;
        blank.textContent = depth === 0 && !allowRoot ? "请选择" : (box.getAttribute("data-blank-label") || "全部");
        if (depth === 0 && !allowRoot && !parent) blank.value = "";
        select.appendChild(blank);
        items.forEach(function (d) {
          var o = document.createElement("option");
          o.value = d.code;
          o.textContent = d.name;
          select.appendChild(o);
        });
        box.appendChild(select);
        select.addEventListener("change", function () {
          Array.prototype.slice.call(box.querySelectorAll("select")).forEach(function (s) {
            if (Number(s.getAttribute("data-depth")) > depth) s.remove();
          });
          hidden.value = select.value;
          if (select.value && select.value !== parent) addLevel(select.value, depth + 1);
        });
        var next = wanted[depth];
        if (next && items.some(function (d) { return d.code === next; })) {
          select.value = next;
          return addLevel(next, depth + 1);
        }
      });
    }
    if (!hidden.value) hidden.value = allowRoot ? root : "";
    addLevel(root, 0);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".divpicker"), setup);
})();
