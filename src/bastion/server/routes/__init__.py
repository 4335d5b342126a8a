"""The API's routes, one module per resource; thin: they call `bastion.server.services`."""
