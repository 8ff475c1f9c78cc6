from .cli import main

main("python -m automations")
