from launchready.cli import main

main()
