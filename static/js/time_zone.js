// Tells the server the browser's time zone, so times are shown in it (core/time_zones.py).
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var current = document.cookie.split("; ").find(function (item) { return item.indexOf("tz=") === 0; });
    if (current === "tz=" + encodeURIComponent(zone)) return;
    document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
  } catch (error) {
    // An old browser without Intl time zones: the site's zone is used.
  }
})();
