from preflight.cli import app

app(prog_name="preflight")
