// A print button on printable sheets (the CSP forbids inline handlers).
document.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
