"""Tools that start and drive the local stack from outside its server: the process, the ACK stand-in, the warehouse.

Nothing here runs inside the server, and nothing of the server is imported here: these are clients of the stack
(its process, its AWS API and its `/_mlops/` routes), like the AWS CLI.
"""
