from ztts_eval.cli import main

raise SystemExit(main())
