from stsdiag.cli import main

main()
