from dividends.cli import main

main()
