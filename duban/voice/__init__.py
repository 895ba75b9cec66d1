"""群众线索 (public clues): intake, triage and the similar-clue suggestion."""
