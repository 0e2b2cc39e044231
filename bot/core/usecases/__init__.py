"""Use cases: one async function per thing a person can ask, each taking a `Turn`."""
