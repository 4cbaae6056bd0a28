// Times in the reader's own time zone: each <time datetime="..." data-local> the server wrote
// (in its configured zone, naming it) is rewritten in the browser's zone and the page's
// language, to the minute.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var locale = document.documentElement.lang === "fr" ? "fr-CA" : "en-CA";
  var format;
  try {
    format = new Intl.DateTimeFormat(locale, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (error) {
    return;
  }
  document.querySelectorAll("time[datetime][data-local]").forEach(function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (!isNaN(moment.getTime())) {
      element.textContent = format.format(moment);
    }
  });
});
