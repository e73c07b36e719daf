import sys

if sys.argv[1:2] == ["noisy"]:
    from bench.noisy import main as noisy

    sys.exit(noisy(sys.argv[2:]))

if sys.argv[1:2] == ["instructions"]:
    from bench.instructions import main as instructions

    sys.exit(instructions(sys.argv[2:]))

from bench.run import main

sys.exit(main())
