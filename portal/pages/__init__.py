"""Pages every visitor can see: start page, accessibility statement, privacy notice, health."""
