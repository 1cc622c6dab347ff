// edgeca's interactive API reference: Swagger UI over /openapi.yaml, served by the worker itself
// (no CDN), with "Authorize" for a bearer token and "Try it out" against this service.
window.ui = SwaggerUIBundle({
  url: "/openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  // Not persisted: Swagger UI would keep the bearer token in localStorage, readable by every page of
  // this origin and kept after the tab closes (the same rule as /ui, which uses sessionStorage only).
  persistAuthorization: false,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
});
