// Transparency-log verification in the browser (signed notes, checkpoints, inclusion proofs).
