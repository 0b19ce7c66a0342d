"""The local AWS stack: AWS services emulated behind their APIs on one machine (moto with the project's services)."""
