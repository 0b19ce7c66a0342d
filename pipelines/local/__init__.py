"""Running the platform on one machine: the local AWS stack (moto + extensions) and the local executor."""
