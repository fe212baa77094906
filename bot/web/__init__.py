"""Static pages and assets served by the web chat and clerk channels (a package only so installs ship them)."""
