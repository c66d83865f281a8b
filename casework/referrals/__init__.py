"""Referrals into the partnership and their decisions."""
