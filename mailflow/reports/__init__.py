"""Monitoring reports: the measures both policies require, counted in SQL, as Word, CSV and HTML.

``build.build_report(engine, policy, period, now=...)`` runs the grouped queries of ``facts`` in
one read snapshot and returns a ``tables.Report`` (a one-page summary, then sections of tables);
``files.write_report`` writes it with the charts of ``charts``; ``delivery.send_report`` and
``due_reports`` queue it to managers once per period; ``ombudsman.record_ombudsman_decision``
records what the Ombudsman decided. Nothing is imported here, so the CLI starts quickly.
"""
