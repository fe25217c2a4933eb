"""translate-jobs on this machine: `make run` (``python -m translate_jobs_local run``) runs the service on the
emulator (local_stack), handing it what it knows of translate-jobs (``app.TRANSLATE_JOBS``), and shows a person
what the jobs do: job lines in the terminal (``terminal``), a console in the browser (``console``)."""
