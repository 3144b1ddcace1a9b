"""Server-rendered pages of the hub: driver portal, board, public queue page, officer console."""
