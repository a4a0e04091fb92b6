# Setup. In Google Colab this installs the course's `lib` package (Colab's torch, numpy and matplotlib
# stay as they are); anywhere else it does nothing: there, `pip install -r requirements.txt` did it.
import subprocess, sys
if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "git+https://github.com/attention-step-by-step/course@main"], check=True)
