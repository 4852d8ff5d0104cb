from pingan.cli.main import app

app()
