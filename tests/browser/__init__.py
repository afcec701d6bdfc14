"""The course in a real browser: JupyterLab driven by Debian chromium through Playwright."""
