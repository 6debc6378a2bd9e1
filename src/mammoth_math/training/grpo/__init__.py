"""GRPO against our grader and sandbox: rewards (:mod:`.rewards`), config (:mod:`.config`), prompts with golds
(:mod:`.prompts`) and the run on TRL's ``GRPOTrainer`` (:mod:`.run`). Imported lazily, as ``training`` is."""
