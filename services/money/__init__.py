"""Money: payment rows, the payment channel, release by an approver, recovery of money wrongly paid."""
