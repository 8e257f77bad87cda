from gradekit.cli.commands import main

main()
