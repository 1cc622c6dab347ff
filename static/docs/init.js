// edgeca's interactive API reference: Swagger UI over /openapi.yaml, served by the worker itself
// (no CDN), with "Authorize" for a bearer token and "Try it out" against this service.
window.ui = SwaggerUIBundle({
  url: "/openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
});
