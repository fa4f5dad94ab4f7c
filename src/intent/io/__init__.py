"""Reading and writing messages: CSV files as people have them, LinkedIn's export, batch and Dask runs."""
