from piigate.cli import main

main()
