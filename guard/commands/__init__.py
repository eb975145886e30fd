"""One module per command: ``configure(parser)`` adds its options, ``main(args)`` runs it."""
