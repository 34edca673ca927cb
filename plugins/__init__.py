"""Programme plugins shipped with Samverka; each depends on core, never on another plugin."""
