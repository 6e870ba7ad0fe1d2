"""Tests of the contact classifier, against rule-level cases and the labelled .eml corpus."""
