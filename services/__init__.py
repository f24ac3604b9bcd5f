"""The service layer: plain Python over chunks of claims (no Prefect). Flows and the CLI call it.

Wings: `importing/` (files in: claims, amendments, rosters), `nightly/` (the six steps, bulk moves,
grants, the night's lease and person-partition leasing, the night's report), `money/` (payments,
the channel, approval, recovery), `oversight/` (audit, reconcile, fraud checks, the set-aside
list), `access/` (actors, roles, scrubbing). Beside them, what every wing shares: `settings`
(product settings), `calendar` (working days), `lookup` (claims by the applicant's reference),
`claim_view` (`claims show`), `objections` (the posting window's objections and their review),
and `crash_drill` (the kill points crash drills arm: a test seam).
"""
