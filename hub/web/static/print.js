// The certificate page's print button (no inline handlers: the pages allow no inline script).
"use strict";
document.getElementById("print").addEventListener("click", () => window.print());
