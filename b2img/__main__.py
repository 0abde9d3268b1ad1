from b2img.cli import main

main()
