// Starts Swagger UI on /docs from Pantau's own copy (no CDN; no inline script under the CSP).
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
  });
})();
