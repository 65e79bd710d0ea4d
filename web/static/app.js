// keyhold console: small progressive enhancements. Every page works
// without this file; it adds the copy button and narrows the role picker.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function copy(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    if (!input) { return; }
    var say = function (text) { if (status) { status.textContent = text; } };
    input.focus();
    input.select();
    var fallback = function () {
      try {
        document.execCommand("copy");
        say("Copied. Paste it where it is needed now.");
      } catch (e) {
        say("Select the value and copy it with your keyboard.");
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        say("Copied. Paste it where it is needed now.");
      }, fallback);
    } else {
      fallback();
    }
  }

  // narrowRoles keeps only the roles of the chosen entity type in the
  // role picker; the full list, which works without JavaScript, is kept
  // aside to rebuild it on each change.
  var allRoles = {};
  function narrowRoles(typeSelect) {
    var id = typeSelect.getAttribute("data-role-filter");
    var roles = document.getElementById(id);
    if (!roles) { return; }
    if (!allRoles[id]) { allRoles[id] = roles.cloneNode(true); }
    var wanted = roles.value;
    var type = typeSelect.value;
    while (roles.firstChild) { roles.removeChild(roles.firstChild); }
    // The empty "Choose…" entry stays first, chosen unless a role was.
    var empty = allRoles[id].querySelector(":scope > option[value='']");
    if (empty) {
      var e = empty.cloneNode(true);
      e.selected = wanted === "";
      roles.appendChild(e);
    }
    var groups = allRoles[id].querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      if (groups[i].label !== type) { continue; }
      var opts = groups[i].querySelectorAll("option");
      for (var j = 0; j < opts.length; j++) {
        var o = opts[j].cloneNode(true);
        o.selected = o.value === wanted;
        roles.appendChild(o);
      }
    }
  }

  onReady(function () {
    document.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("[data-copy]") : null;
      if (b) { copy(b); }
    });
    var pickers = document.querySelectorAll("[data-role-filter]");
    for (var i = 0; i < pickers.length; i++) {
      (function (p) {
        narrowRoles(p);
        p.addEventListener("change", function () { narrowRoles(p); });
      })(pickers[i]);
    }
  });
})();
