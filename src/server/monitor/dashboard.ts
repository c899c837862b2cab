// Placeholder for the monitoring dashboard page (served at /dashboard); the dashboard work
// replaces this whole file.
export const DASHBOARD_HTML: string = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>tsnats dashboard</title></head>
<body>
<h1>tsnats dashboard</h1>
<p>The dashboard is not built yet. See <a href="./varz">/varz</a>, <a href="./connz">/connz</a> and <a href="./metrics">/metrics</a>.</p>
</body>
</html>
`;
